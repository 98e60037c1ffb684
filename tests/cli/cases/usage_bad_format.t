# --format json|table
nidus --dir s stats --format xml
--- stderr
error: --format wants 'json' or 'table', got 'xml'
--- exit 2
