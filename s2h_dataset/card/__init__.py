"""The dataset card: its render (`render`: Hub YAML + the body from `dataset_card.md`), its build-dependent
prose (`text`), the bias audit (`audit`), the blind audit (`blind_audit`), the plots (`plots`) and the
example grid (`preview`). Used by build, merge, push and `s2h audit`.

Importing the package is cheap: import the submodule you need (`from s2h_dataset.card.render import
write_card`), so validate or the blind audit do not pull in `datasets` or matplotlib.
"""
