Feature: Dispute a card transaction
  As a cardholder
  I want to dispute a card transaction I do not recognise
  So that I get my money back when a merchant charged me wrongly

  Scenario: Open a dispute
    Given a card payment of 49.99 GBP to "Streamly" that I did not make
    When I dispute it with the reason "not recognised"
    Then a dispute case is opened and I see its reference

  Scenario: Temporary credit while the case is open
    Given my dispute case for 49.99 GBP has been open for two working days
    When the daily dispute review runs
    Then 49.99 GBP is credited to me until the case is decided

  Scenario: Only recent payments can be disputed
    Given a card payment made 130 days ago
    When I try to dispute it
    Then I see the error "payments older than 120 days cannot be disputed"
