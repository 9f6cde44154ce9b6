package com.acme.payments.domain;

/**
 * Whether an account can send and receive payments.
 */
public enum AccountStatus {
    OPEN,
    FROZEN,
    CLOSED
}
