"""Running the tools' tracking: the run spec (:mod:`.spec`), the run built from it (:mod:`.models`), the runner
(:mod:`.runner`) with its plan (:mod:`.plan`), one sequence's tracking (:mod:`.sequence_run`) and the evaluation
(:mod:`.evaluation`), stopping between frames (:mod:`.stop`); and what a run writes and reads without paddle
(:mod:`.outputs`, :mod:`.manifest`, :mod:`.interpolation`)."""
