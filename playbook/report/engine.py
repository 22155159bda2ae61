"""papermill's own engine, writing the executed notebook less often.

papermill writes the whole executed notebook before and after every cell: about 80 writes
of a notebook holding a step's figures (up to 1 MB) for one step, a second of the worker's
time per step while the kernel waits. Here it is written at most every
:data:`SAVE_EVERY_SECONDS` while the cells run, so a long step still shows its progress, and
always when the notebook ends, whether it completed, failed, timed out or lost its kernel
(papermill's ``notebook_complete`` runs in a ``finally``): a failed step keeps its executed
notebook for audit as before.
"""

from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

#: The name the engine is registered under in papermill.
ENGINE_NAME = "playbook"

#: Seconds between two writes of the executed notebook while its cells run.
SAVE_EVERY_SECONDS = 5.0


class _FewerSaves(NotebookExecutionManager):
    """papermill's bookkeeping of a run, with its writes spaced (see the module docstring)."""

    _ending = False

    def save(self, **kwargs):
        waited = (self.now() - self.last_save_time).total_seconds()
        if self._ending or waited >= SAVE_EVERY_SECONDS:
            super().save(**kwargs)

    def notebook_complete(self, **kwargs):
        self._ending = True  # its final write always happens
        super().notebook_complete(**kwargs)


class FewerSavesEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`_FewerSaves` (papermill's
    ``Engine.execute_notebook``, with the other manager)."""

    @classmethod
    def execute_notebook(
        cls,
        nb,
        kernel_name,
        output_path=None,
        progress_bar=True,
        log_output=False,
        autosave_cell_every=30,
        **kwargs,
    ):
        manager = _FewerSaves(
            nb,
            output_path=output_path,
            progress_bar=progress_bar,
            log_output=log_output,
            autosave_cell_every=autosave_cell_every,
        )
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb


papermill_engines.register(ENGINE_NAME, FewerSavesEngine)
