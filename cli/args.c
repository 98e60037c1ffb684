/*
 * args.c — command-line parsing and the help texts.
 *
 * Options may come before or after the subcommand (`nidus --dir D search` and
 * `nidus search --dir D` are the same), as `--name value`, `--name=value`, `-k 5` or
 * `-k5`. `--` ends the options. Each command accepts the global options plus its own;
 * anything else is a usage error, so a typo never silently changes what runs.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct optdef {
    const char *name; /* long name */
    char shrt;        /* short letter or 0 */
    bool arg;         /* takes a value */
    const char *same; /* another spelling of this option (nidus's): its name */
} optdef;

static const optdef OPTS[] = {
    {"dir", 'd', true, NULL},        {"dim", 0, true, NULL},           {"read-only", 0, false, NULL},
    {"format", 0, true, NULL},       {"help", 'h', false, NULL},       {"file", 'f', true, NULL},
    {"query-file", 0, true, NULL},   {"k", 'k', true, NULL},           {"top-k", 0, true, "k"},
    {"min-score", 0, true, NULL},    {"where", 0, true, NULL},         {"like", 0, true, NULL},
    {"in", 0, true, NULL},           {"timing", 0, false, NULL},       {"ids", 0, true, NULL},
    {"attrs", 0, true, NULL},        {"type", 0, true, NULL},          {"batch", 0, true, NULL},
    {"quiet", 'q', false, NULL},     {"version", 'V', false, NULL},    {"distance", 0, true, NULL},
    {"exact", 0, false, NULL},       {"offset", 0, true, NULL},        {"include-attr", 0, true, NULL},
    {"exclude-attr", 0, true, NULL}, {"scope", 0, true, NULL},         {"limit", 'n', true, NULL},
    {"order-by", 0, true, NULL},     {"desc", 0, false, NULL},         {"sum", 0, true, NULL},
    {"group-by", 0, true, NULL},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

/* Options every command takes. */
static const char GLOBAL_OPTS[] = " dir dim read-only help ";

typedef struct cmddef {
    const char *name;
    const char *opts; /* space-separated long names beyond GLOBAL_OPTS */
    const char *help;
} cmddef;

#define STORE_OPTS                                                                   \
    "Store options (every command):\n"                                               \
    "  -d, --dir D   the store directory (default: $NIDUS_DIR)\n"                    \
    "  --dim N       vector dimension: required only when the command creates the\n" \
    "                store; otherwise read from it, and it must match if given\n"    \
    "  --read-only   refuse commands that modify the store\n"                        \
    "  -h, --help    this text\n"

/* The option of the commands that may create a store. */
#define DISTANCE_HELP                                                                \
    "  --distance M  the metric of a new store: cosine (default), euclidean or dot\n" \
    "                (also $NIDUS_DISTANCE); an existing store keeps its own, and\n"  \
    "                it must match if given\n"

/* --where, for every command that filters. */
#define WHERE_HELP                                                                   \
    "  --where FILTER   nidus's filter: a JSON array of predicates, all of which must\n" \
    "                   hold, e.g. '[{\"Eq\": [\"lang\", {\"Str\": \"en\"}]}]'. Leaves:\n"  \
    "                   Eq Ne In NotIn Lt Le Gt Ge Glob IGlob Regex Contains\n"         \
    "                   NotContains ContainsAny Fuzzy ContainsAllTokens\n"              \
    "                   ContainsAnyToken ContainsTokenSequence; groups: All Any Not.\n" \
    "                   Examples: nidus help filters\n"

#define PROJECTION_HELP                                                              \
    "  --include-attr K return only attribute K (repeatable)\n"                      \
    "  --exclude-attr K return every attribute but K (repeatable; not with\n"        \
    "                   --include-attr)\n"

static const cmddef CMDS[] = {
    {"create", " distance ",
     "usage: nidus create NAME [--dir D] [--dim N] [--distance M]\n"
     "Create collection NAME (nothing changes if it exists). Prints {\"created\": NAME}.\n" DISTANCE_HELP},
    {"drop", "",
     "usage: nidus drop NAME [--dir D]\n"
     "Drop collection NAME with all its records (a no-op if absent).\n"
     "Prints {\"dropped\": NAME}.\n"},
    {"upsert", " file distance ",
     "usage: nidus upsert COLLECTION [--file F] [--dir D] [--dim N] [--distance M]\n"
     "Insert or replace records, read as a JSON array from F or stdin:\n"
     "  [{\"id\": \"a\", \"vector\": [0.1, 0.2], \"attrs\": {\"lang\": {\"Str\": \"en\"}}}]\n"
     "Attribute values: \"Null\", {\"Str\": s}, {\"Int\": i}, {\"Bool\": b}, {\"List\": [s...]},\n"
     "{\"Float\": x}, {\"DateTime\": ms since the epoch}. The batch is all-or-nothing.\n"
     "Prints {\"upserted\": n}.\n"
     "  -f, --file F  read the records from F instead of stdin\n" DISTANCE_HELP},
    {"search", " query-file k min-score where like in timing format offset exact include-attr exclude-attr ",
     "usage: nidus search [COLLECTION...] [--query-file F] [-k K] [--offset N]\n"
     "                    [--min-score S] [--where FILTER] [--like ID --in COLLECTION]\n"
     "                    [--include-attr K... | --exclude-attr K...] [--format table]\n"
     "Exact nearest neighbours of a query vector (a JSON array, from F or stdin)\n"
     "in the named collections, or the whole store when none is named, by the\n"
     "store's distance: cosine similarity, -|q - v|^2 (euclidean) or the dot product.\n"
     "Prints [{\"collection\", \"id\", \"score\", \"attrs\"}, ...], best first.\n"
     "  --query-file F   read the query vector from F\n"
     "  -k, --top-k K    number of hits (default 10)\n"
     "  --offset N       skip the N best hits first (pagination; offset + k <= 10000)\n"
     "  --min-score S    drop hits scoring below S\n"
     WHERE_HELP
     "  --like ID --in C use the stored vector of record ID of collection C as the\n"
     "                   query; that record itself is left out of the hits (see also\n"
     "                   nidus similar)\n"
     PROJECTION_HELP
     "  --exact          accepted for nidus's scripts: every search here is exact\n"
     "  --timing         print the open and search times on stderr\n"
     "  --format table   aligned columns for people (scores to 4 places)\n"},
    {"similar", " k min-score where offset exact include-attr exclude-attr scope format ",
     "usage: nidus similar COLLECTION ID [--scope C...] [-k K] [--offset N]\n"
     "                     [--min-score S] [--where FILTER]\n"
     "                     [--include-attr K... | --exclude-attr K...] [--format table]\n"
     "More like this: the nearest neighbours of the vector stored for record ID of\n"
     "COLLECTION, that record itself left out (by identity: a copy with another id\n"
     "or in another collection is a hit). Prints hits as search does.\n"
     "  --scope C        search collection C (repeatable; default: COLLECTION only)\n"
     "  -k, --top-k K    number of hits (default 10)\n"
     "  --offset N       skip the N best hits first (offset + k <= 10000)\n"
     "  --min-score S    drop hits scoring below S\n"
     WHERE_HELP
     PROJECTION_HELP
     "  --exact          accepted: every search here is exact\n"
     "  --format table   aligned columns for people\n"},
    {"list", " where offset limit include-attr exclude-attr order-by desc format ",
     "usage: nidus list [COLLECTION...] [--where FILTER] [--offset N] [-n N]\n"
     "                  [--order-by KEY [--desc]] [--include-attr K... | --exclude-attr K...]\n"
     "Records matching a filter, without a query vector, from the named collections\n"
     "(or every one), in storage order or sorted by an attribute. Prints\n"
     "[{\"collection\", \"id\", \"score\": 0.0, \"attrs\"}, ...] (no vectors: see get).\n"
     WHERE_HELP
     "  --offset N       skip the first N matches (pagination)\n"
     "  -n, --limit N    at most N records (default 100)\n"
     "  --order-by KEY   sort by attribute KEY (records without it last)\n"
     "  --desc           sort --order-by descending\n"
     PROJECTION_HELP
     "  --format table   aligned columns for people\n"},
    {"aggregate", " where sum group-by ",
     "usage: nidus aggregate [COLLECTION...] [--where FILTER] [--sum KEY...] [--group-by KEY]\n"
     "Count the records matching a filter in the named collections (or every one)\n"
     "and sum numeric attributes, without listing them. Prints\n"
     "{\"count\": n, \"sums\": {KEY: {\"Int\": n} or {\"Float\": x}},\n"
     " \"groups\": [{\"value\", \"count\", \"sums\"}, ...], \"groups_truncated\": false}.\n"
     "A sum is an Int while every value added was an Int, else a Float; missing and\n"
     "non-numeric values are skipped. Groups come largest first; a null value is\n"
     "the group of records without the attribute (not those holding Null).\n"
     WHERE_HELP
     "  --sum KEY        sum attribute KEY (repeatable)\n"
     "  --group-by KEY   also report count and sums per distinct value of KEY\n"},
    {"get", " format ",
     "usage: nidus get COLLECTION [ID...] [--format table]\n"
     "Print the records of COLLECTION (all, sorted by id, or the given ids in that\n"
     "order; missing ids are left out) with their stored vectors (unit-normalized\n"
     "in a cosine store):\n"
     "[{\"id\", \"vector\", \"attrs\"}, ...] — the shape `upsert` reads.\n"},
    {"delete", " where ",
     "usage: nidus delete COLLECTION ID... | nidus delete COLLECTION --where FILTER\n"
     "Delete records by id, or every record matching FILTER. Prints {\"deleted\": n}.\n"
     WHERE_HELP},
    {"collections", " format ",
     "usage: nidus collections [--format table]\n"
     "Print the collection names, sorted.\n"},
    {"stats", " format ",
     "usage: nidus stats [--format table]\n"
     "Print {\"dimension\", \"distance\" (\"Cosine\", \"Euclidean\" or \"DotProduct\"),\n"
     "\"ann\": null (search is always exact), \"collections\", \"footprint\": {\"rows\",\n"
     "\"dead_rows\", \"dimension\", \"vector_bytes\", \"doc_count\", \"filter_index_bytes\"}}.\n"
     "rows counts live, dead and orphan rows; dead rows are reclaimed by compact;\n"
     "filter_index_bytes is what the declared filter indexes hold (0: none).\n"},
    {"compact", "",
     "usage: nidus compact\n"
     "Rewrite the store to hold only live records (crash-safe). Prints {\"ok\": true}.\n"},
    {"flush", "",
     "usage: nidus flush\n"
     "fsync the data and log files. Prints {\"ok\": true}.\n"},
    {"meta get", " format ",
     "usage: nidus meta get COLLECTION [--format table]\n"
     "Print the collection's metadata, a JSON object of strings ({} if absent).\n"},
    {"meta set", " distance ",
     "usage: nidus meta set COLLECTION JSON_OBJECT\n"
     "Replace the collection's whole metadata map (creating the collection if\n"
     "absent), e.g. nidus meta set docs '{\"model\": \"e5\"}'. Prints {\"ok\": true}.\n" DISTANCE_HELP},
    {"filter-index get", " format ",
     "usage: nidus filter-index get COLLECTION\n"
     "Print the fields declared for COLLECTION's filter index: {\"fields\": [...]}\n"
     "([] if none, or the collection is absent).\n"},
    {"filter-index set", "",
     "usage: nidus filter-index set COLLECTION [FIELD...]\n"
     "Declare the attribute fields of COLLECTION's filter index (nidus 0.80's\n"
     "POST /collections/{name}/filter-index; log op 8), replacing any earlier\n"
     "declaration; no FIELD drops it. The collection is created if absent. Speed\n"
     "only: every filtered search, list, aggregate and delete returns the same with\n"
     "or without it; matches of Eq, In, Contains(Any), the token predicates, ranges\n"
     "and Glob prefixes on these fields are found without visiting every record.\n"
     "Prints {\"ok\": true}.\n"},
    {"import", " ids attrs type batch quiet distance ",
     "usage: nidus import COLLECTION FILE [--type T] [--ids F] [--attrs F] [--dim N]\n"
     "                                    [--distance M]\n"
     "Bulk-load vectors. The type follows the file name unless --type says:\n"
     "  npy      .npy, little-endian float32 (or float64, rounded), C order,\n"
     "           shape (rows, dim)\n"
     "  fvecs    .fvecs: per row an int32 dim then dim float32\n"
     "  raw      anything else: little-endian float32 rows, of --dim N values\n"
     "           (or the existing store's dimension)\n"
     "  ndjson   .ndjson/.jsonl: one {\"id\", \"vector\", \"attrs\"} record per line\n"
     "Ids come from --ids F (one per line) or are the row numbers 0, 1, ...;\n"
     "attrs from --attrs F, an NDJSON file with one attrs object per row (nidus\n"
     "value form, see upsert --help). A missing store is created with the file's\n"
     "dimension. The whole input is checked before the first write; then it goes\n"
     "in batches (an I/O failure midway keeps the batches already written). A\n"
     "progress bar shows on a terminal; a summary line ends the run (stderr).\n"
     "Prints {\"imported\": n}.\n"
     "  --batch N     records per batch (default 8192)\n"
     "  -q, --quiet   no progress bar and no summary line\n" DISTANCE_HELP},
    {"dump", "",
     "usage: nidus dump > FILE\n"
     "Write the whole store as NDJSON: a header line {\"format\": \"nidus-dump\",\n"
     "\"version\": 1, \"dimension\": N} (and \"distance\" for a euclidean or dot\n"
     "store), one {\"collection\", \"meta\"} line per collection, then one\n"
     "{\"collection\", \"id\", \"vector\", \"attrs\"} line per record (collections\n"
     "and ids sorted). Floats print exactly, so dump -> load -> dump is identical.\n"},
    {"load", " batch quiet ",
     "usage: nidus load [FILE] --dir D\n"
     "Rebuild a store from a dump (FILE or stdin) into a new or empty store; the\n"
     "dimension and distance come from the dump. The dump is checked whole before\n"
     "any write. Prints {\"loaded\": n}.\n"
     "  --batch N     records per batch (default 8192)\n"
     "  -q, --quiet   no summary line\n"},
    {"check", "",
     "usage: nidus check --dir D\n"
     "Verify the store without modifying anything: the data header, every log\n"
     "frame's CRC and payload, a replay (rows referenced past the end of data,\n"
     "orphan rows, dead rows), a compaction marker, the lock file, and a read-only\n"
     "open through the library agreeing with the replay. Prints a report; exits 1\n"
     "if the store is damaged (warnings alone exit 0).\n"},
};
#define NCMDS (sizeof CMDS / sizeof CMDS[0])

static const char OVERVIEW[] =
    "usage: nidus COMMAND [ARGS] [--dir D] [--dim N] [--read-only]\n"
    "An exact-search vector store. Records, queries and filters are JSON; output is\n"
    "pretty-printed JSON on stdout, errors one line on stderr.\n"
    "\n"
    "Commands:\n"
    "  create NAME                  create a collection\n"
    "  drop NAME                    drop a collection and its records\n"
    "  upsert COLLECTION [--file F] insert or replace records (JSON array)\n"
    "  search [COLLECTION...]       nearest neighbours of a query vector\n"
    "  similar COLLECTION ID        more like a stored record\n"
    "  list [COLLECTION...]         records matching a filter, no query vector\n"
    "  aggregate [COLLECTION...]    count and sum the records matching a filter\n"
    "  get COLLECTION [ID...]       records with their stored vectors\n"
    "  delete COLLECTION ID...|--where FILTER\n"
    "  collections                  collection names\n"
    "  stats                        dimension, collections, footprint\n"
    "  compact                      reclaim dead rows\n"
    "  flush                        fsync the files\n"
    "  meta get|set COLLECTION ...  collection metadata\n"
    "  import COLLECTION FILE       bulk vectors: .npy, .fvecs, raw f32, NDJSON\n"
    "  dump / load                  portable NDJSON backup and restore\n"
    "  check                        verify the files, report damage\n"
    "\n"
    "Read commands (search, similar, list, aggregate, get, collections, stats, meta\n"
    "get, dump, check) take no writer lock. `nidus COMMAND --help` describes each\n"
    "command; `nidus help filters` the --where language.\n"
    "Exit status: 0 success, 1 failure or damage, 2 usage error. nidus --version.\n";

/* `nidus help filters`: the --where language with examples to paste. */
static const char FILTERS[] =
    "The --where filter (search, similar, list, aggregate, delete) is nidus's JSON\n"
    "filter: an array of predicates, all of which must hold ([] matches everything).\n"
    "Each predicate is an object with one tag; values are tagged like attributes:\n"
    "\"Null\", {\"Str\": s}, {\"Int\": i}, {\"Float\": x}, {\"Bool\": b},\n"
    "{\"DateTime\": ms}, {\"List\": [s...]}.\n"
    "\n"
    "  {\"Eq\": [key, value]}  {\"Ne\": [key, value]}      equal / present and not equal\n"
    "  {\"In\": [key, [values]]}  {\"NotIn\": [key, [values]]}\n"
    "  {\"Lt\"|\"Le\"|\"Gt\"|\"Ge\": [key, value]}   same type only: Int, Float, Str,\n"
    "                                        Bool, DateTime\n"
    "  {\"Glob\": [key, pattern]}  {\"IGlob\": ...}  * ? [a-z] [!x], IGlob ASCII case-folded\n"
    "  {\"Regex\": [key, pattern]}               POSIX ERE, the whole text; (?i) ok\n"
    "  {\"Contains\": [key, {\"Str\": s}]}  {\"NotContains\": ...}   a List element\n"
    "  {\"ContainsAny\": [key, [values]]}\n"
    "  {\"Fuzzy\": [key, text, edits]}          Levenshtein, at most 8 edits\n"
    "  {\"ContainsAllTokens\"|\"ContainsAnyToken\"|\"ContainsTokenSequence\": [key, text]}\n"
    "  {\"All\": [preds]}  {\"Any\": [preds]}  {\"Not\": pred}\n"
    "\n"
    "An absent key fails every leaf, Ne and NotIn included; Not(Eq) is true on it.\n"
    "At most 64 nested All/Any/Not (a top-level array of two or more predicates is\n"
    "itself an All). A bad filter is an error naming the predicate, exit 1.\n"
    "\n"
    "Examples:\n"
    "  nidus search docs --where '[{\"Eq\": [\"lang\", {\"Str\": \"en\"}]}]' < q.json\n"
    "  nidus list --where '[{\"Ge\": [\"year\", {\"Int\": 2020}]}, {\"Glob\": [\"path\", \"src/*\"]}]'\n"
    "  nidus list --where '[{\"Any\": [{\"Eq\": [\"lang\", {\"Str\": \"en\"}]},\n"
    "                                {\"Contains\": [\"tags\", {\"Str\": \"x\"}]}]}]'\n"
    "  nidus aggregate --where '[{\"Not\": {\"Eq\": [\"flag\", {\"Bool\": true}]}}]'\n"
    "  nidus delete docs --where '[{\"Lt\": [\"at\", {\"DateTime\": 1700000000000}]}]'\n"
    "  nidus list --where '[{\"Fuzzy\": [\"name\", \"nidus\", 2]}]'\n"
    "  nidus list --where '[{\"Regex\": [\"path\", \"(?i)src/[a-z]+\\\\.c\"]}]'\n";

const char *cli_help(const char *cmd) {
    if (!cmd || !*cmd) return OVERVIEW;
    if (strcmp(cmd, "filters") == 0) return FILTERS;
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(CMDS[i].name, cmd) == 0) return CMDS[i].help;
    if (strcmp(cmd, "meta") == 0)
        return "usage: nidus meta get COLLECTION | nidus meta set COLLECTION JSON_OBJECT\n"
               "See `nidus meta get --help` and `nidus meta set --help`.\n";
    if (strcmp(cmd, "filter-index") == 0)
        return "usage: nidus filter-index get COLLECTION | nidus filter-index set COLLECTION [FIELD...]\n"
               "See `nidus filter-index get --help` and `nidus filter-index set --help`.\n";
    return NULL;
}

static const optdef *find_long(const char *name, size_t len) {
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(OPTS[i].name) == len && strncmp(OPTS[i].name, name, len) == 0)
            return OPTS[i].same ? find_long(OPTS[i].same, strlen(OPTS[i].same)) : &OPTS[i];
    return NULL;
}

static const optdef *find_short(char c) {
    for (size_t i = 0; i < NOPTS; i++)
        if (OPTS[i].shrt == c) return &OPTS[i];
    return NULL;
}

static bool allowed(const cmddef *c, const char *name) {
    char key[64];
    snprintf(key, sizeof key, " %s ", name);
    return strstr(GLOBAL_OPTS, key) || (c && strstr(c->opts, key));
}

/* nidus 0.80's spellings, exactly (case-sensitive, no aliases). */
static int parse_distance(const char *what, const char *v) {
    if (!strcmp(v, "cosine")) return NIDUS_DISTANCE_COSINE;
    if (!strcmp(v, "euclidean")) return NIDUS_DISTANCE_EUCLIDEAN;
    if (!strcmp(v, "dot")) return NIDUS_DISTANCE_DOT;
    cli_usage("%s wants cosine, euclidean or dot, got '%s'", what, v);
}

static unsigned long long parse_count(const char *flag, const char *s, unsigned long long max) {
    char *end;
    errno = 0;
    if (!*s || *s == '-' || *s == '+') cli_usage("%s wants a non-negative integer, got '%s'", flag, s);
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v > max) cli_usage("%s wants an integer from 0 to %llu, got '%s'", flag, max, s);
    return v;
}

typedef struct seen {
    const optdef *def;
    const char *val;
    const char *spelled; /* as typed, for messages */
} seen;

/* The values of the repeatable options (at most one per option, and cli_parse
 * takes at most 256 options): static, as they live as long as the process. */
#define MAX_OPTS 256
enum { L_INCLUDE, L_EXCLUDE, L_SCOPE, L_SUM, N_LISTS };
static const char *g_lists[N_LISTS][MAX_OPTS];

static void push_list(const char ***list, size_t *n, const char *v, int which) {
    *list = g_lists[which];
    g_lists[which][(*n)++] = v;
}

/* Commands with a get/set subcommand ("meta get", "filter-index set"). */
static bool has_sub(const char *cmd) { return strcmp(cmd, "meta") == 0 || strcmp(cmd, "filter-index") == 0; }

void cli_parse(int argc, char **argv, cli_opts *o) {
    memset(o, 0, sizeof *o);
    o->k = 10;
    o->limit = 100;
    o->distance = NIDUS_DISTANCE_AUTO;
    static seen got[MAX_OPTS];
    size_t ngot = 0;
    const char *cmd = NULL, *sub = NULL;
    bool only_pos = false, version = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            if (!cmd) cmd = a;
            else if (has_sub(cmd) && !sub) sub = a;
            else if (o->npos < CLI_MAX_POS) o->pos[o->npos++] = a;
            else cli_usage("too many arguments (at most %d)", CLI_MAX_POS);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        const optdef *d;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            d = find_long(a + 2, len);
            if (!d) cli_usage("unknown option '%.*s'", (int)(len + 2), a);
            if (eq) {
                if (!d->arg) cli_usage("option '--%s' takes no value", d->name);
                val = eq + 1;
            }
        } else {
            d = find_short(a[1]);
            if (!d) cli_usage("unknown option '-%c'", a[1]);
            if (a[2]) {
                if (!d->arg) cli_usage("option '-%c' takes no value (got '%s')", a[1], a);
                val = a + 2;
            }
        }
        if (d->arg && !val) {
            if (i + 1 >= argc) cli_usage("option '%s' needs a value", a);
            val = argv[++i];
        }
        if (ngot == sizeof got / sizeof got[0]) cli_usage("too many options");
        got[ngot++] = (seen){d, val, a};
        if (strcmp(d->name, "help") == 0) o->help = true;
        if (strcmp(d->name, "version") == 0) version = true;
    }
    if (version && !cmd) {
        printf("nidus %s (libnidus %s)\n", NIDUS_VERSION_STRING, nidus_version_string());
        exit(0);
    }
    if (cmd && strcmp(cmd, "help") == 0) {
        /* `nidus help [CMD [SUB]]` */
        char name[64] = "";
        if (o->npos > 0) snprintf(name, sizeof name, "%s", o->pos[0]);
        if (o->npos > 1 && has_sub(name)) {
            char group[32];
            snprintf(group, sizeof group, "%s", name);
            snprintf(name, sizeof name, "%s %s", group, o->pos[1]);
        }
        const char *h = cli_help(name);
        if (!h) cli_usage("unknown command '%s'", name);
        fputs(h, stdout);
        if (*name && strncmp(name, "meta", 4) != 0 && strcmp(name, "filters") != 0 && !has_sub(name))
            fputs(STORE_OPTS, stdout);
        exit(0);
    }
    static char full[64];
    if (cmd && has_sub(cmd) && sub) {
        snprintf(full, sizeof full, "%s %s", cmd, sub);
        cmd = full;
    }
    const cmddef *c = NULL;
    if (cmd) {
        for (size_t i = 0; i < NCMDS; i++)
            if (strcmp(CMDS[i].name, cmd) == 0) c = &CMDS[i];
        if (!c && !(o->help && has_sub(cmd))) {
            if (has_sub(cmd)) cli_usage("%s wants 'get' or 'set'", cmd);
            if (strncmp(cmd, "meta ", 5) == 0) cli_usage("meta wants 'get' or 'set', not '%s'", cmd + 5);
            if (strncmp(cmd, "filter-index ", 13) == 0)
                cli_usage("filter-index wants 'get' or 'set', not '%s'", cmd + 13);
            cli_usage("unknown command '%s' (see nidus --help)", cmd);
        }
    }
    if (o->help) {
        fputs(cli_help(cmd), stdout);
        if (c) fputs(STORE_OPTS, stdout);
        exit(0);
    }
    if (!c) cli_usage("no command given (see nidus --help)");
    o->cmd = c->name;
    for (size_t i = 0; i < ngot; i++) {
        const optdef *d = got[i].def;
        const char *v = got[i].val;
        if (!allowed(c, d->name))
            cli_usage("option '%s' does not apply to '%s' (see nidus %s --help)", got[i].spelled,
                      c->name, c->name);
        const char *n = d->name;
        if (!strcmp(n, "dir")) {
            if (!*v) cli_usage("--dir wants a directory");
            o->dir = v;
        } else if (!strcmp(n, "dim")) {
            o->dim = (uint32_t)parse_count("--dim", v, UINT32_MAX);
            if (o->dim == 0) cli_usage("--dim must be at least 1");
        } else if (!strcmp(n, "read-only")) o->read_only = true;
        else if (!strcmp(n, "format")) {
            if (!strcmp(v, "table")) o->table = true;
            else if (!strcmp(v, "json")) o->table = false;
            else cli_usage("--format wants 'json' or 'table', got '%s'", v);
        } else if (!strcmp(n, "file")) o->file = v;
        else if (!strcmp(n, "query-file")) o->query_file = v;
        else if (!strcmp(n, "k")) o->k = (size_t)parse_count("-k", v, 1000000000ULL);
        else if (!strcmp(n, "min-score")) {
            char *end;
            errno = 0;
            double s = strtod(v, &end);
            if (!*v || *end || errno || !isfinite(s)) cli_usage("--min-score wants a number, got '%s'", v);
            o->has_min_score = true;
            o->min_score = (float)s;
        } else if (!strcmp(n, "where")) o->where = v;
        else if (!strcmp(n, "like")) o->like = v;
        else if (!strcmp(n, "in")) o->in = v;
        else if (!strcmp(n, "timing")) o->timing = true;
        else if (!strcmp(n, "ids")) o->ids_file = v;
        else if (!strcmp(n, "attrs")) o->attrs_file = v;
        else if (!strcmp(n, "type")) {
            if (strcmp(v, "npy") && strcmp(v, "fvecs") && strcmp(v, "raw") && strcmp(v, "ndjson"))
                cli_usage("--type wants npy, fvecs, raw or ndjson, got '%s'", v);
            o->type = v;
        } else if (!strcmp(n, "batch")) {
            o->batch = (size_t)parse_count("--batch", v, 10000000ULL);
            if (o->batch == 0) cli_usage("--batch must be at least 1");
        } else if (!strcmp(n, "quiet")) o->quiet = true;
        else if (!strcmp(n, "distance")) o->distance = parse_distance("--distance", v);
        else if (!strcmp(n, "exact")) o->exact = true;
        else if (!strcmp(n, "offset")) o->offset = (size_t)parse_count("--offset", v, 1000000000ULL);
        else if (!strcmp(n, "limit")) o->limit = (size_t)parse_count("--limit", v, 1000000000ULL);
        else if (!strcmp(n, "include-attr")) push_list(&o->include, &o->n_include, v, L_INCLUDE);
        else if (!strcmp(n, "exclude-attr")) push_list(&o->exclude, &o->n_exclude, v, L_EXCLUDE);
        else if (!strcmp(n, "scope")) push_list(&o->scope, &o->n_scope, v, L_SCOPE);
        else if (!strcmp(n, "sum")) push_list(&o->sums, &o->n_sums, v, L_SUM);
        else if (!strcmp(n, "order-by")) o->order_by = v;
        else if (!strcmp(n, "desc")) o->desc = true;
        else if (!strcmp(n, "group-by")) o->group_by = v;
    }
    /* As nidus's clap: --desc needs --order-by (a usage error). */
    if (o->desc && !o->order_by) cli_usage("--desc needs --order-by KEY");
    /* $NIDUS_DISTANCE, as nidus's, for the commands that take --distance (the
     * flag wins). */
    const char *env = getenv("NIDUS_DISTANCE");
    if (o->distance == NIDUS_DISTANCE_AUTO && env && *env && allowed(c, "distance"))
        o->distance = parse_distance("NIDUS_DISTANCE", env);
    if (!o->dir) o->dir = getenv("NIDUS_DIR");
    if (!o->dir || !*o->dir) cli_usage("no store directory: pass --dir D (or set NIDUS_DIR)");
}
