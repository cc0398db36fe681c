// Placeholder so the library target exists before the layer has code.
