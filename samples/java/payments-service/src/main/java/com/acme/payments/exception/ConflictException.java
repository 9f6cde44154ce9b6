package com.acme.payments.exception;

/**
 * The request clashes with the current state of a resource (HTTP 409).
 */
public class ConflictException extends RuntimeException {

    private final String code;

    public ConflictException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String getCode() {
        return code;
    }
}
