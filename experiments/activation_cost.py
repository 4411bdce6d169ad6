"""Is ReLU cheaper to compute? See configs/activation_cost.py."""

from experiments._entry import study_main

main = study_main("activation_cost")

if __name__ == "__main__":
  main()
