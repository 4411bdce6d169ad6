"""Narrow networks: decision-region connectivity and loss by activation. See configs/narrow_nets.py."""

from experiments._entry import study_main

main = study_main("narrow_nets")

if __name__ == "__main__":
  main()
