"""The card network, simulated: what it authorized and presented, and its clearing files."""
