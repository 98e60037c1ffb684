# dump of a golden store
nidus --dir "$GOLDEN/b_mixed" dump
--- stdout
{"format":"nidus-dump","version":1,"dimension":3}
{"collection":"code","meta":{"hwm":"42","model":"toy-embed-v1"}}
{"collection":"docs","meta":{}}
{"collection":"code","id":"src/lib.rs","vector":[0.21821788,-0.43643576,0.8728715],"attrs":{"edge":"Null","flag":{"Bool":false},"lang":{"Str":"rust"},"n":{"Int":-7},"path":{"Str":"src/lib.rs"}}}
{"collection":"code","id":"src/main.rs","vector":[0.2981424,0.5962848,0.745356],"attrs":{"flag":{"Bool":true},"lang":{"Str":"rust"},"n":{"Int":43},"path":{"Str":"src/main.rs"},"tags":{"List":["a","b"]}}}
{"collection":"code","id":"tool.py","vector":[-0.78446454,0.19611613,0.5883484],"attrs":{"lang":{"Str":"python"},"n":{"Int":-1234567890123},"path":{"Str":"scripts/tool.py"},"tags":{"List":[]}}}
{"collection":"docs","id":"empty","vector":[0.0,0.0,0.0],"attrs":{}}
{"collection":"docs","id":"readme","vector":[0.10482849,0.94345635,-0.3144855],"attrs":{"flag":{"Bool":true},"path":{"Str":"README.md"},"tags":{"List":["x","y z"]},"title":{"Str":"héllo ✓"}}}
{"collection":"docs","id":"spec","vector":[-0.842701,-0.24077173,0.48154345],"attrs":{"edge":"Null","n":{"Int":0},"path":{"Str":"docs/SPEC.md"}}}
--- exit 0
