package com.acme.payments.repository;

import com.acme.payments.domain.Payee;
import org.springframework.data.jpa.repository.JpaRepository;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Persistence for {@link Payee}.
 */
public interface PayeeRepository extends JpaRepository<Payee, UUID> {

    List<Payee> findByAccountIdOrderByNameAsc(UUID accountId);

    Optional<Payee> findByIdAndAccountId(UUID id, UUID accountId);

    boolean existsByAccountIdAndSortCodeAndAccountNumber(UUID accountId, String sortCode, String accountNumber);
}
