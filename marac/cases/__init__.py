"""Cases: pages that compose a referral with its hearings, research and actions."""
