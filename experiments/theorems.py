"""Theorems that must hold for every network, tested on random networks. See configs/theorems.py."""

from experiments._entry import study_main

main = study_main("theorems")

if __name__ == "__main__":
  main()
