"""How often are ReLU networks born dead, and do dead units matter? See configs/dying_relu.py."""

from experiments._entry import study_main

main = study_main("dying_relu")

if __name__ == "__main__":
  main()
