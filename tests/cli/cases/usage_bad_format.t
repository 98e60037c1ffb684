# --format json|table
nidus --dir s stats --format xml
--- stderr
nidus: --format wants 'json' or 'table', got 'xml'
--- exit 2
