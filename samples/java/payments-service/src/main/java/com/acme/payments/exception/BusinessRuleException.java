package com.acme.payments.exception;

/**
 * A well-formed request that breaks a business rule (HTTP 422). The code is stable and
 * documented in the API spec, the message is for humans.
 */
public class BusinessRuleException extends RuntimeException {

    private final String code;

    public BusinessRuleException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String getCode() {
        return code;
    }
}
