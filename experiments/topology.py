"""Do ReLU layers simplify each class's topology faster? See configs/topology.py."""

from experiments._entry import study_main

main = study_main("topology")

if __name__ == "__main__":
  main()
