"""Pictures: the course's plots and the interactive k-means explorer."""
