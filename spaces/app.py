"""Hugging Face Space entry point: global visual search with an S2H-DPO checkpoint, plus a dataset explorer.

Configure with environment variables (Space settings -> Variables): MODEL_ID (the fine-tuned checkpoint),
optional BASE_MODEL_ID (shown side by side), DATASET_ID (explorer default), PROCESSOR_KWARGS (JSON for the
processor) and the S2H_* limits listed in README.md.
Run locally: `python spaces/app.py` or `s2h space --model-name-or-path ...`.
"""

import logging
import os
import sys
from pathlib import Path

try:
    import s2h_dataset  # noqa: F401  (installed from requirements.txt)
except ImportError:  # a checkout of the repository: the package sits one folder up
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from s2h_dataset.redact import install_log_redaction
from s2h_dataset.space import create_app, launch

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
install_log_redaction()  # the Space's logs show no URL credentials or tokens

demo = create_app(
    os.environ.get("MODEL_ID"),
    os.environ.get("BASE_MODEL_ID"),
    os.environ.get("DATASET_ID"),
    processor_kwargs=os.environ.get("PROCESSOR_KWARGS") or None,
)

if __name__ == "__main__":
    launch(
        demo,
        host=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"),
    )
