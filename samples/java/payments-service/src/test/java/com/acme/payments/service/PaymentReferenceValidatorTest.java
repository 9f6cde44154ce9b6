package com.acme.payments.service;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class PaymentReferenceValidatorTest {

    private final PaymentReferenceValidator validator = new PaymentReferenceValidator();

    @Test
    void normaliseUppercasesAndCollapsesSpaces() {
        assertThat(validator.normalise("  rent   flat 2 ")).isEqualTo("RENT FLAT 2");
        assertThat(validator.normalise(null)).isEmpty();
    }

    @Test
    void problemsReportsReferenceThatIsTooLong() {
        assertThat(validator.problems("SCHOOL FEES SUMMER TERM"))
                .containsExactly("reference must be at most 18 characters");
    }

    @Test
    void problemsReportsForbiddenCharacters() {
        assertThat(validator.problems("rent #4 (march)")).hasSize(1);
    }

    @Test
    void isValidAcceptsTypicalReference() {
        assertThat(validator.isValid("INV-2026/04 & VAT")).isTrue();
        assertThat(validator.isValid("AAAAAAA")).isFalse();
    }
}
