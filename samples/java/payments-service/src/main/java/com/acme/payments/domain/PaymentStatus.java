package com.acme.payments.domain;

/**
 * Outcome of one attempt to execute a payment.
 */
public enum PaymentStatus {
    SUCCEEDED,
    FAILED,
    RETRY_SCHEDULED
}
