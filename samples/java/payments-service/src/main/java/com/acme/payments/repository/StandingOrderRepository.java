package com.acme.payments.repository;

import com.acme.payments.domain.StandingOrder;
import com.acme.payments.domain.StandingOrderStatus;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

import java.time.LocalDate;
import java.util.List;
import java.util.UUID;

/**
 * Persistence for {@link StandingOrder}.
 */
public interface StandingOrderRepository extends JpaRepository<StandingOrder, UUID> {

    Page<StandingOrder> findByAccountId(UUID accountId, Pageable pageable);

    Page<StandingOrder> findByAccountIdAndStatus(UUID accountId, StandingOrderStatus status, Pageable pageable);

    boolean existsByPayeeIdAndStatusIn(UUID payeeId, List<StandingOrderStatus> statuses);

    @Query("select o from StandingOrder o where o.status = 'ACTIVE' and o.nextPaymentDate <= :date")
    List<StandingOrder> findDue(@Param("date") LocalDate date);
}
