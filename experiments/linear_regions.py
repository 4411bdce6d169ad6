"""Linear regions vs total neurons, depth and activation. See configs/linear_regions.py."""

from experiments._entry import study_main

main = study_main("linear_regions")

if __name__ == "__main__":
  main()
