"""The assistant's learned parts: the candidate ranker and the abstention gate (model.py, fitted by
eval/eval_qa.py --calibrate on the calibration split and stored in kb/data/assistant.json)."""
