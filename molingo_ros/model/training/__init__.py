"""Training of the model's parts: the data the runs draw from (:mod:`.data`), what every run
shares (:mod:`.run`), the SAE (:mod:`.sae`, decoder fine-tuning in :mod:`.decoder`), the
generator (:mod:`.generator_config`, :mod:`.latents`, :mod:`.generator`), the retrieval
evaluator (:mod:`.evaluator`) and their command lines (:mod:`.commands`: ``molingo train
sae|generator|evaluator``)."""
