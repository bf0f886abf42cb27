package org.fractureedge.core;

/** The spec is missing, malformed, of another version, or asks for something this core cannot do. */
public class SpecException extends FractureEdgeException {
    public SpecException(String message) {
        super(message);
    }
}
