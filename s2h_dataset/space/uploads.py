"""The upload field of the search tab: `gr.File` without Gradio's leaked temp file per upload.

Gradio 6.31's `File` preprocessing (`type="filepath"`) opens a `NamedTemporaryFile(delete=False)` in its
cache for every uploaded file, overwrites the wrapper's `.name` with the upload's path and drops it, so an
empty file (and an open descriptor) is left in the upload folder per upload, for the life of the server.
The handler only needs the upload's own path, which Gradio already wrote, so this field returns it
directly; refused uploads are deleted by the search handler (`limits.discard_uploads`), kept ones when
the visitor's session ends (`sessions.SessionUploads`).
(The fix is bound to the instance: a `gr.File` subclass would make Gradio write a `.pyi` stub beside this
module at import time.)
"""

from __future__ import annotations

import types

import gradio as gr
from gradio.data_classes import FileData
from gradio.exceptions import Error
from gradio.utils import NamedString
from gradio_client import utils as client_utils

__all__ = ["upload_files"]


def _path_only(self: gr.File, f: FileData) -> NamedString:
    if self.file_types and not client_utils.is_valid_file(f.path, self.file_types):
        raise Error(
            f"Invalid file type. Please upload a file that is one of these formats: {self.file_types}"
        )
    return NamedString(f.path)


def upload_files(**kwargs) -> gr.File:
    """`gr.File(type="filepath", **kwargs)` whose preprocessing returns the uploads' paths and nothing else."""
    field = gr.File(type="filepath", **kwargs)
    field._process_single_file = types.MethodType(_path_only, field)
    return field
