/*
 * table.h — aligned columns for `--format table` (for people, not for parsing).
 */
#ifndef NIDUS_CLI_TABLE_H
#define NIDUS_CLI_TABLE_H

#include "cli.h"

typedef struct table table;

/* ncols headers; align is one letter per column: 'l' left, 'r' right. */
table *table_new(size_t ncols, const char *const *headers, const char *align);
/* Add a row of ncols cells (copied; control characters shown escaped). */
void table_row(table *t, const char *const *cells);
void table_print(table *t, FILE *f); /* prints and frees */

/* Short human text of a value / of a record's attrs: lang="rust" n=-7 tags=[a, b]. */
char *table_value_text(const nidus_value *v);
char *table_attrs_text(const nidus_attr *attrs, size_t n);

#endif
