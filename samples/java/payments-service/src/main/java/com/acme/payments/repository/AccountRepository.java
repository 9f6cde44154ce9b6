package com.acme.payments.repository;

import com.acme.payments.domain.Account;
import com.acme.payments.domain.AccountStatus;
import org.springframework.data.jpa.repository.JpaRepository;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Persistence for {@link Account}.
 */
public interface AccountRepository extends JpaRepository<Account, UUID> {

    List<Account> findByCustomerIdOrderByNicknameAsc(UUID customerId);

    Optional<Account> findBySortCodeAndAccountNumber(String sortCode, String accountNumber);

    long countByCustomerIdAndStatus(UUID customerId, AccountStatus status);
}
