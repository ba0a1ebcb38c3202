"""Evaluation of text-to-motion models: the retrieval evaluator whose embedding space the
metrics use (:mod:`.evaluator`, its files in :mod:`.evaluator_checkpoint`, embedding in
:mod:`.embedding`, its own retrieval check in :mod:`.retrieval`), the metrics
(:mod:`.metrics`, :mod:`.physical`) and the ``molingo eval`` protocol: prompts
(:mod:`.prompts`), motions per method (:mod:`.generation`, :mod:`.baseline`), the run
(:mod:`.protocol`) and the table (:mod:`.report`)."""
