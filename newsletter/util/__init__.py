"""Foundation helpers shared by every layer: the clock, atomic files, weeks."""
