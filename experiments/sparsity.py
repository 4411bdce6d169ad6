"""Is ReLU sparser than LeakyReLU, and does sparser mean more separable? See configs/sparsity.py."""

from experiments._entry import study_main

main = study_main("sparsity")

if __name__ == "__main__":
  main()
