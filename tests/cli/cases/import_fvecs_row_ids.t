# import .fvecs; ids are row numbers without --ids
$PY "$CASES/mkvec.py" fvecs v.fvecs 3 2
nidus --dir s import vecs v.fvecs -q
nidus --dir s get vecs --format table
--- stdout
{
  "imported": 3
}
id  vector              attrs
0   [-0.9285, -0.3714]  
1   [0.3714, 0.9285]    
2   [-0.8944, 0.4472]   
--- exit 0
