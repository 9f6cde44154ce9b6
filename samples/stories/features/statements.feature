Feature: Regular payments on my statement
  As an account holder
  I want my monthly statement to summarise my standing orders
  So that I can see how much goes out regularly each month

  Scenario: Summarise the month's standing orders
    Given three standing order payments succeeded in March 2026 totalling 1,025.00 GBP
    When I open my March 2026 statement
    Then the regular payments box shows 1,025.00 GBP paid
    And it shows 3 payments made

  Scenario: Show failed payments separately
    Given one standing order payment failed in March 2026
    When I open my March 2026 statement
    Then the regular payments box shows 1 failed payment
    And the failed amount is not included in the total paid

  Scenario: Empty month
    Given no standing order payments were made in April 2026
    When I open my April 2026 statement
    Then the regular payments box shows 0.00 GBP paid
