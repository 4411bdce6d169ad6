"""Narrow networks: decision-region connectivity and loss by activation. See configs/narrow_nets.py."""

from research.cli import training_main

main = training_main("configs/narrow_nets.py")

if __name__ == "__main__":
  main()
