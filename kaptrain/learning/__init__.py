"""Learning services shared by the learner pages: the learner-write path."""
