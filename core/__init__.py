"""What every app of the platform stands on; it imports none of them."""
