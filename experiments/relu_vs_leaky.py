"""Does ReLU separate entangled data better than LeakyReLU? See configs/relu_vs_leaky.py."""

from research.cli import training_main

main = training_main("configs/relu_vs_leaky.py")

if __name__ == "__main__":
  main()
