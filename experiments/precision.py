"""Numeric precision as a factor: float64, float32, bfloat16 nets from the same weights. See configs/precision.py."""

from experiments._entry import study_main

main = study_main("precision")

if __name__ == "__main__":
  main()
