package com.acme.payments.exception;

import java.util.UUID;

/**
 * Thrown when an account, payee or standing order does not exist (HTTP 404).
 */
public class ResourceNotFoundException extends RuntimeException {

    private final String resource;
    private final UUID id;

    public ResourceNotFoundException(String resource, UUID id) {
        super(resource + " " + id + " was not found");
        this.resource = resource;
        this.id = id;
    }

    public String getResource() {
        return resource;
    }

    public UUID getId() {
        return id;
    }
}
