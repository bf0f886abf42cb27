package org.fractureedge.core;

/** The model file is not a .tflite flatbuffer, is corrupt, or carries no fracture-edge spec. */
public class ModelFileException extends FractureEdgeException {
    public ModelFileException(String message) {
        super(message);
    }
}
