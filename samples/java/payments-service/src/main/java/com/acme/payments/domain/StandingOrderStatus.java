package com.acme.payments.domain;

import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle of a standing order.
 */
public enum StandingOrderStatus {
    ACTIVE,
    PAUSED,
    CANCELLED,
    COMPLETED;

    /**
     * Whether a standing order in this status may move to {@code target}.
     *
     * @param target the requested status
     * @return true when the transition is allowed
     */
    public boolean canTransitionTo(StandingOrderStatus target) {
        Set<StandingOrderStatus> allowed = switch (this) {
            case ACTIVE -> EnumSet.of(PAUSED, CANCELLED, COMPLETED);
            case PAUSED -> EnumSet.of(ACTIVE, CANCELLED);
            case CANCELLED, COMPLETED -> EnumSet.noneOf(StandingOrderStatus.class);
        };
        return allowed.contains(target);
    }

    /** True once the order can never pay again. */
    public boolean isTerminal() {
        return this == CANCELLED || this == COMPLETED;
    }
}
