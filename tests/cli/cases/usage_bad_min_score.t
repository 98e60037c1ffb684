# --min-score must be a number
nidus --dir s search --min-score high
--- stderr
error: --min-score wants a number, got 'high'
--- exit 2
