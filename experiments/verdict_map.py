"""Under which settings do the flagship claims hold? See configs/verdict_map.py."""

from experiments._entry import study_main

main = study_main("verdict_map")

if __name__ == "__main__":
  main()
