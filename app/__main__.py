from app.cli import main

# The guard keeps worker processes (batch ingestion spawns them) from running the command line again.
if __name__ == "__main__":
    main()
