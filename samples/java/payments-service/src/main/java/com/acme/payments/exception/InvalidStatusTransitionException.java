package com.acme.payments.exception;

import com.acme.payments.domain.StandingOrderStatus;

import java.util.UUID;

/**
 * A standing order cannot move from its current status to the requested one (HTTP 409).
 */
public class InvalidStatusTransitionException extends ConflictException {

    public InvalidStatusTransitionException(UUID orderId, StandingOrderStatus from, StandingOrderStatus to) {
        super("INVALID_STATUS_TRANSITION",
                "standing order " + orderId + " cannot move from " + from + " to " + to);
    }
}
