"""Does ReLU separate entangled data better than LeakyReLU? See configs/relu_vs_leaky.py."""

from experiments._entry import study_main

main = study_main("relu_vs_leaky")

if __name__ == "__main__":
  main()
