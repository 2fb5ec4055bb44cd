"""Training, evaluation and reports for the emotion library's M5 (a checkout's package, not installed).

A one-way street: each layer imports only the layers below it (and the
`emotion` library), never above, so any module can be read knowing only what
lies beneath it. pyproject.toml's import-linter contract holds the code to
this diagram, and `make test` runs it (tests/test_architecture.py).

    command lines     __main__ (python -m train)  assemble  calibrate  crossval  evaluate  get_corpora  model_card  tta
                            |
    entry points      cli (train_and_report)   generalisation (the benchmark)
                            |
    reports           reports/  (figures, the model card: drawn from a finished run's folder)
                            |
    run               run       (split -> members -> calibrate -> save; config.json, run/)
                            |
    fit               fit       (the loss, one epoch, validation, one member to its best epoch)
                            |
                      batches   (sampler + transforms)      calibration (temperature scaling)
                            |
                      augment   (voices, codecs, rooms)     metrics (accuracy, UAR, confusion)
                            |
                      channels  (the benchmark's channels)  data (decode, cache, ClipSet)
                            |
                      config    (TrainConfig and its flags)
                            |
    bottom            corpora/  (one module per corpus)

Modules side by side in a layer do not import each other. A corpus is one
module in corpora/ (its files, labels, speakers, declared test speakers,
licence, citation, pinned source); the rest of the package sees clips with a
corpus, a speaker, a label and that corpus's set of labels.
"""
