"""Makes train.py (one folder up) importable, and keeps XGBoost on one thread: the data
sets here are tiny, and OpenMP threads spinning on a busy CI machine cost seconds."""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
