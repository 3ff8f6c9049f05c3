// MoteP2P: see the frame codec and peer manager.
