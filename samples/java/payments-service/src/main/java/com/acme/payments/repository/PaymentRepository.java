package com.acme.payments.repository;

import com.acme.payments.domain.Payment;
import com.acme.payments.domain.PaymentStatus;
import org.springframework.data.jpa.repository.JpaRepository;

import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * Persistence for {@link Payment}.
 */
public interface PaymentRepository extends JpaRepository<Payment, UUID> {

    List<Payment> findByStandingOrderIdOrderByExecutionDateDesc(UUID standingOrderId);

    List<Payment> findByAccountIdAndExecutionDateBetween(UUID accountId, LocalDate from, LocalDate to);

    long countByStandingOrderIdAndStatus(UUID standingOrderId, PaymentStatus status);
}
