package org.fractureedge.core;

/** Base of the core's expected, user-caused failures; the message is meant for the screen. */
public class FractureEdgeException extends RuntimeException {
    public FractureEdgeException(String message) {
        super(message);
    }
}
